from django.urls import path

from learning.learners import views

urlpatterns = [
    path("learning/contacts/<int:contact_pk>/", views.contact_learning, name="learning-contact"),
    path("learning/contacts/<int:contact_pk>/enroll/", views.contact_enroll, name="learning-contact-enroll"),
    path("learning/enrollments/<int:enrollment_pk>/withdraw/", views.enrollment_withdraw,
         name="learning-enrollment-withdraw"),
]
